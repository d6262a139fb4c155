// Settings read by the libraries of Bootstrap Italia's bundle: loaded before it.
// Video.js (in the bundle, unused here) would add its default styles as an inline <style>,
// which the Content Security Policy refuses (style-src 'self', no 'unsafe-inline').
window.VIDEOJS_NO_DYNAMIC_STYLE = true;
