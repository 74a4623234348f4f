// Stylesheets are bundled by esbuild (console/build.ts); importing one only adds it to the page.
declare module '*.css';
