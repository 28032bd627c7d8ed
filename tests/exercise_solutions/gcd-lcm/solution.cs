using System;

class Program
{
    static long Gcd(long x, long y)
    {
        while (y != 0)
        {
            long t = x % y;
            x = y;
            y = t;
        }
        return x;
    }

    static void Main()
    {
        string[] parts = Console.ReadLine().Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
        long a = long.Parse(parts[0]);
        long b = long.Parse(parts[1]);
        long g = Gcd(a, b);
        Console.WriteLine(g);
        Console.WriteLine(a / g * b);
    }
}
