# Wrong: concatenates the two numbers as text instead of adding them.
a, b = input().split()
print(a + b)
