# Wrong: the column sums stop one row early (off-by-one on the row index).
r, c = map(int, input().split())
grid = [list(map(int, input().split())) for _ in range(r)]
row_sums = [sum(row) for row in grid]
col_sums = [sum(grid[i][j] for i in range(r - 1)) for j in range(c)]
print(" ".join(map(str, row_sums)))
print(" ".join(map(str, col_sums)))
