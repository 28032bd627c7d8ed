using System;

class Program
{
    static void Main()
    {
        char[] chars = Console.ReadLine().ToCharArray();
        Array.Reverse(chars);
        Console.WriteLine(new string(chars));
    }
}
