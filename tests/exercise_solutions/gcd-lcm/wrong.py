# Wrong: takes the product a * b as the LCM (right only when the GCD is 1).
a, b = map(int, input().split())
x, y = a, b
while y:
    x, y = y, x % y
print(x)
print(a * b)
