// What the editor holds for a language when no exercise is open: a small hello world.

const HELLO = {
  python: `name = "World"
print(f"Hello, {name}!")
`,
  javascript: `const name = "World";
console.log(\`Hello, \${name}!\`);
`,
  java: `public class Main {
    public static void main(String[] args) {
        String name = "World";
        System.out.println("Hello, " + name + "!");
    }
}
`,
  csharp: `using System;

class Program
{
    static void Main()
    {
        string name = "World";
        Console.WriteLine($"Hello, {name}!");
    }
}
`,
};

export function helloWorld(language) {
  return HELLO[language] ?? `// Write your ${language} program here.\n`;
}
