import java.util.Scanner;

public class Main {
    public static void main(String[] args) {
        Scanner in = new Scanner(System.in);
        int r = in.nextInt();
        int c = in.nextInt();
        int[] rowSums = new int[r];
        int[] colSums = new int[c];
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < c; j++) {
                int x = in.nextInt();
                rowSums[i] += x;
                colSums[j] += x;
            }
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < r; i++) {
            if (i > 0) out.append(' ');
            out.append(rowSums[i]);
        }
        out.append('\n');
        for (int j = 0; j < c; j++) {
            if (j > 0) out.append(' ');
            out.append(colSums[j]);
        }
        System.out.println(out);
    }
}
