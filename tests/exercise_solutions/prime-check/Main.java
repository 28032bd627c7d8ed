import java.util.Scanner;

public class Main {
    static boolean isPrime(long n) {
        if (n < 2) {
            return false;
        }
        if (n % 2 == 0) {
            return n == 2;
        }
        for (long d = 3; d * d <= n; d += 2) {
            if (n % d == 0) {
                return false;
            }
        }
        return true;
    }

    public static void main(String[] args) {
        Scanner in = new Scanner(System.in);
        int t = in.nextInt();
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < t; i++) {
            out.append(isPrime(in.nextLong()) ? "prime" : "not prime").append('\n');
        }
        System.out.print(out);
    }
}
