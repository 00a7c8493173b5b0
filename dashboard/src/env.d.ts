// Vite bundles imported CSS into the page's stylesheet; TypeScript need know no more of it.
declare module '*.css';
