/** Writing internals of the generator; not an API. */
package io.pgcdc.generator.internal;
