package io.pgcdc;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The BOM users import names every library module, at the project's version. */
class BomTest {

    private static final Path ROOT = Path.of("..");
    private static final Pattern VERSION = Pattern.compile("<artifactId>pgcdc-parent</artifactId>\\s*<version>([^<]+)</version>");

    @Test
    void theBomManagesEveryLibraryModuleAtTheProjectsVersion() throws IOException {
        String bom = Files.readString(ROOT.resolve("cdc-bom/pom.xml"));
        Matcher parent = VERSION.matcher(Files.readString(ROOT.resolve("pom.xml")));
        assertThat(parent.find()).isTrue();
        assertThat(bom).contains("<version>" + parent.group(1) + "</version>");
        assertThat(bom).doesNotContain("<parent>");
        List<String> libraries;
        try (Stream<Path> modules = Files.list(ROOT)) {
            libraries = modules.filter(m -> Files.exists(m.resolve(".library-module"))).map(m -> m.getFileName().toString()).sorted().toList();
        }
        assertThat(libraries).contains("cdc-core", "cdc-testkit", "cdc-generator");
        for (String library : libraries) {
            assertThat(bom).contains("<artifactId>" + library + "</artifactId>\n        <version>${project.version}</version>");
        }
        assertThat(Files.readString(ROOT.resolve("pom.xml"))).contains("<module>cdc-bom</module>");
    }
}
