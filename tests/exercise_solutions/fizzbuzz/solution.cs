using System;
using System.Text;

class Program
{
    static void Main()
    {
        int n = int.Parse(Console.ReadLine().Trim());
        StringBuilder out_ = new StringBuilder();
        for (int i = 1; i <= n; i++)
        {
            if (i % 15 == 0) out_.Append("FizzBuzz");
            else if (i % 3 == 0) out_.Append("Fizz");
            else if (i % 5 == 0) out_.Append("Buzz");
            else out_.Append(i);
            out_.Append('\n');
        }
        Console.Write(out_.ToString());
    }
}
