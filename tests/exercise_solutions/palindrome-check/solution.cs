using System;
using System.Text;

class Program
{
    static void Main()
    {
        string line = Console.ReadLine();
        StringBuilder letters = new StringBuilder();
        foreach (char ch in line)
        {
            if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'))
            {
                letters.Append(char.ToLowerInvariant(ch));
            }
        }
        string s = letters.ToString();
        bool ok = true;
        for (int i = 0, j = s.Length - 1; i < j; i++, j--)
        {
            if (s[i] != s[j])
            {
                ok = false;
                break;
            }
        }
        Console.WriteLine(ok ? "yes" : "no");
    }
}
