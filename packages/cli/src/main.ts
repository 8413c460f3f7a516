// Entry of the `o365` binary (bin/o365.js loads the built copy of this file).
process.stderr.write('o365: the command line is not built yet\n');
process.exitCode = 1;
