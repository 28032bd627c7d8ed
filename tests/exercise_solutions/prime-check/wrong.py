# Wrong: forgets that 1 is not prime (the loop never runs for n = 1).
def is_prime(n):
    d = 2
    while d * d <= n:
        if n % d == 0:
            return False
        d += 1
    return True


t = int(input())
for _ in range(t):
    print("prime" if is_prime(int(input())) else "not prime")
