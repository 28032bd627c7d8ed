using System;

class Program
{
    static void Main()
    {
        string[] first = Console.ReadLine().Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
        int r = int.Parse(first[0]);
        int c = int.Parse(first[1]);
        int[] rowSums = new int[r];
        int[] colSums = new int[c];
        for (int i = 0; i < r; i++)
        {
            string[] row = Console.ReadLine().Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
            for (int j = 0; j < c; j++)
            {
                int x = int.Parse(row[j]);
                rowSums[i] += x;
                colSums[j] += x;
            }
        }
        Console.WriteLine(string.Join(" ", rowSums));
        Console.WriteLine(string.Join(" ", colSums));
    }
}
