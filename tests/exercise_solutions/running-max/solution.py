n = int(input())
values = list(map(int, input().split()))
result = []
best = None
for x in values[:n]:
    if best is None or x > best:
        best = x
    result.append(best)
print(" ".join(map(str, result)))
