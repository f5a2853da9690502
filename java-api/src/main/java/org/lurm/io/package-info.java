/**
 * Writing output files safely ({@link org.lurm.io.OutputFiles}): atomic replacement of regular files, devices
 * and pipes written into rather than replaced, folders refused, and the temporary files of killed writers
 * removed by the next write.
 */
package org.lurm.io;
