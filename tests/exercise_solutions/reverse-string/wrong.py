# Wrong: reverses the order of the words, not of the characters.
line = input()
print(" ".join(reversed(line.split(" "))))
