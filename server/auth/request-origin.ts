// Defence in depth against cross-site requests on top of SameSite=Lax session cookies: a
// state-changing API call must come from our own pages. Browsers send Origin (and Sec-Fetch-Site)
// on every cross-origin POST; a request without either is not from a browser on another site.

export type RequestOriginOptions = {
  origin: string | null;
  secFetchSite: string | null;
  /** The Host header: the address the browser used, which may differ from PUBLIC_URL (localhost vs 127.0.0.1). */
  host: string | null;
  publicUrl: string;
};

export function isForeignOrigin({ origin, secFetchSite, host, publicUrl }: RequestOriginOptions): boolean {
  if (secFetchSite && secFetchSite !== 'same-origin' && secFetchSite !== 'none') return true;
  if (origin === null) return false;
  let from: URL;
  try {
    from = new URL(origin);
  } catch {
    return true; // "null" (a sandboxed frame, a data: page) or garbage
  }
  if (from.origin === new URL(publicUrl).origin) return false;
  return !host || from.host !== host.toLowerCase();
}
