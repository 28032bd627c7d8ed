using System;
using System.Collections.Generic;

class Program
{
    static void Main()
    {
        int n = int.Parse(Console.ReadLine().Trim());
        string[] parts = Console.ReadLine().Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
        List<long> result = new List<long>();
        long best = long.MinValue;
        for (int i = 0; i < n; i++)
        {
            best = Math.Max(best, long.Parse(parts[i]));
            result.Add(best);
        }
        Console.WriteLine(string.Join(" ", result));
    }
}
