package io.pgcdc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/** Code the README shows, and the compiled code it must stay identical to. */
final class ReadmeSnippets {

    private static final Path README = Path.of("..", "README.md");

    private ReadmeSnippets() {
    }

    /** The lines of {@code source} between two marker comments, without their common indentation. */
    static List<String> between(Path source, String begin, String end) throws IOException {
        List<String> lines = Files.readAllLines(source);
        return strip(lines.subList(indexOf(lines, begin) + 1, indexOf(lines, end)));
    }

    /** The README's code block that follows the line {@code marker}, without its common indentation. */
    static List<String> readmeBlockAfter(String marker) throws IOException {
        List<String> readme = Files.readAllLines(README);
        List<String> block = new ArrayList<>();
        for (int i = indexOf(readme, marker) + 2; !readme.get(i).startsWith("```"); i++) {
            block.add(readme.get(i));
        }
        return strip(block);
    }

    private static int indexOf(List<String> lines, String marker) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).trim().equals(marker)) {
                return i;
            }
        }
        throw new AssertionError("marker not found: " + marker);
    }

    private static List<String> strip(List<String> lines) {
        int indent = lines.stream().filter(l -> !l.isBlank())
                .mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
        return lines.stream().map(l -> l.isBlank() ? "" : l.substring(indent).stripTrailing()).collect(Collectors.toList());
    }
}
