import java.util.Scanner;

public class Main {
    static long gcd(long x, long y) {
        while (y != 0) {
            long t = x % y;
            x = y;
            y = t;
        }
        return x;
    }

    public static void main(String[] args) {
        Scanner in = new Scanner(System.in);
        long a = in.nextLong();
        long b = in.nextLong();
        long g = gcd(a, b);
        System.out.println(g);
        System.out.println(a / g * b);
    }
}
