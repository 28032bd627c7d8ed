import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;

public class Main {
    public static void main(String[] args) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        String line = in.readLine();
        StringBuilder letters = new StringBuilder();
        for (char ch : line.toCharArray()) {
            if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')) {
                letters.append(Character.toLowerCase(ch));
            }
        }
        String forward = letters.toString();
        String backward = letters.reverse().toString();
        System.out.println(forward.equals(backward) ? "yes" : "no");
    }
}
