using System;

class Program
{
    static bool IsPrime(long n)
    {
        if (n < 2) return false;
        if (n % 2 == 0) return n == 2;
        for (long d = 3; d * d <= n; d += 2)
        {
            if (n % d == 0) return false;
        }
        return true;
    }

    static void Main()
    {
        int t = int.Parse(Console.ReadLine().Trim());
        for (int i = 0; i < t; i++)
        {
            long n = long.Parse(Console.ReadLine().Trim());
            Console.WriteLine(IsPrime(n) ? "prime" : "not prime");
        }
    }
}
