# Wrong: only counts lowercase vowels.
line = input()
print(sum(1 for ch in line if ch in "aeiou"))
