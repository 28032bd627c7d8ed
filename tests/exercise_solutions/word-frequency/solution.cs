using System;
using System.Collections.Generic;
using System.Text;

class Program
{
    static void Main()
    {
        string text = Console.In.ReadToEnd();
        Dictionary<string, int> counts = new Dictionary<string, int>();
        StringBuilder current = new StringBuilder();
        foreach (char ch in text + " ")
        {
            if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'))
            {
                current.Append(char.ToLowerInvariant(ch));
            }
            else if (current.Length > 0)
            {
                string word = current.ToString();
                int n;
                counts.TryGetValue(word, out n);
                counts[word] = n + 1;
                current.Clear();
            }
        }
        string bestWord = null;
        int bestCount = 0;
        foreach (KeyValuePair<string, int> e in counts)
        {
            if (e.Value > bestCount || (e.Value == bestCount && string.CompareOrdinal(e.Key, bestWord) < 0))
            {
                bestWord = e.Key;
                bestCount = e.Value;
            }
        }
        Console.WriteLine(bestWord + " " + bestCount);
    }
}
