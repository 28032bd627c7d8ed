import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;

public class Main {
    public static void main(String[] args) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        String line = in.readLine().toLowerCase();
        int count = 0;
        for (int i = 0; i < line.length(); i++) {
            if ("aeiou".indexOf(line.charAt(i)) >= 0) {
                count++;
            }
        }
        System.out.println(count);
    }
}
