# Wrong: starts the maximum at 0, which breaks on lists of negative numbers.
n = int(input())
values = list(map(int, input().split()))
best = 0
result = []
for x in values:
    best = max(best, x)
    result.append(best)
print(" ".join(map(str, result)))
