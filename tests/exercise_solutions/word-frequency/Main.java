import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

public class Main {
    public static void main(String[] args) throws IOException {
        String text = new String(System.in.readAllBytes(), StandardCharsets.UTF_8).toLowerCase();
        // A TreeMap iterates its words in alphabetical order: the first one with the
        // highest count wins.
        Map<String, Integer> counts = new TreeMap<>();
        for (String word : text.split("[^a-z]+")) {
            if (!word.isEmpty()) {
                counts.merge(word, 1, Integer::sum);
            }
        }
        String bestWord = "";
        int bestCount = 0;
        for (Map.Entry<String, Integer> e : counts.entrySet()) {
            if (e.getValue() > bestCount) {
                bestWord = e.getKey();
                bestCount = e.getValue();
            }
        }
        System.out.println(bestWord + " " + bestCount);
    }
}
