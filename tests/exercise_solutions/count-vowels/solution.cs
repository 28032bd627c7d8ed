using System;

class Program
{
    static void Main()
    {
        string line = Console.ReadLine().ToLowerInvariant();
        int count = 0;
        foreach (char ch in line)
        {
            if ("aeiou".IndexOf(ch) >= 0)
            {
                count++;
            }
        }
        Console.WriteLine(count);
    }
}
