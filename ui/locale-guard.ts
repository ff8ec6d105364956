/**
 * Imported first by app.ts, before uPlot: uPlot builds `new Intl.NumberFormat(navigator.language)`
 * as its module loads, and a browser under a POSIX locale (LANG=C on Linux) reports `en-US@posix`,
 * which `Intl` refuses; the throw would stop the whole UI's script. Such a language is replaced
 * by `en-US` for this page only.
 */
try {
  new Intl.NumberFormat(navigator.language);
} catch {
  Object.defineProperty(navigator, 'language', { value: 'en-US', configurable: true });
}
