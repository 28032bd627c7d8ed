import java.util.Scanner;

public class Main {
    public static void main(String[] args) {
        Scanner in = new Scanner(System.in);
        int n = in.nextInt();
        StringBuilder out = new StringBuilder();
        long best = Long.MIN_VALUE;
        for (int i = 0; i < n; i++) {
            long x = in.nextLong();
            best = Math.max(best, x);
            if (i > 0) {
                out.append(' ');
            }
            out.append(best);
        }
        System.out.println(out);
    }
}
