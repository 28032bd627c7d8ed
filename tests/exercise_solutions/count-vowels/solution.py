line = input()
print(sum(1 for ch in line.lower() if ch in "aeiou"))
