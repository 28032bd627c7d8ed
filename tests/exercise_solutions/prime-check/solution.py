def is_prime(n):
    if n < 2:
        return False
    if n % 2 == 0:
        return n == 2
    d = 3
    while d * d <= n:
        if n % d == 0:
            return False
        d += 2
    return True


t = int(input())
for _ in range(t):
    print("prime" if is_prime(int(input())) else "not prime")
