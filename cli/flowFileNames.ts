import path from 'node:path';

/** Flow files are named `<flowId>.flow.json`; the flow id is the file name. */
export const FLOW_FILE_SUFFIX = '.flow.json';

/** The flow id a file stands for: its name without `.flow.json` (or `.json`). */
export const flowIdOfFile = (file: string): string => path.basename(file).replace(/\.flow\.json$|\.json$/, '');
