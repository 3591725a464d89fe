/** The {@code pgcdc-generator} command line; needs picocli on the class path (an optional dependency). */
package io.pgcdc.generator.cli;
