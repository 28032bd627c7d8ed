line = input()
letters = [ch.lower() for ch in line if ("a" <= ch <= "z") or ("A" <= ch <= "Z")]
print("yes" if letters == letters[::-1] else "no")
