# Wrong: keeps only the letters but forgets to ignore their case.
line = input()
letters = [ch for ch in line if ch.isalpha()]
print("yes" if letters == letters[::-1] else "no")
