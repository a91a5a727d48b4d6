/**
 * What a browser sees when the loopback-only rule refuses it (no ADMIN_TOKEN, and a client on another machine
 * or a Host that is not localhost): a short page saying how to get in, instead of a raw JSON 403 that tells a
 * browser to send a Bearer header, which it cannot. Nothing from the request is echoed but the port, a number.
 * No styles or scripts: the page's Content-Security-Policy allows neither inline.
 */
export function adminTokenPage(port: number | undefined): string {
  const local = `http://localhost${port === undefined ? '' : `:${port}`}/`;
  return `<!doctype html>
<html lang="en">
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>webhook-server: set ADMIN_TOKEN to open this page from here</title>
<h1>Set ADMIN_TOKEN to open this page from here</h1>
<p>Without <code>ADMIN_TOKEN</code>, webhook-server shows its history only to a browser on the machine it runs on,
at <a href="${local}">${local}</a>. This request came from another machine (a VM, a container, a LAN address) or
named the server by another host name, so it was refused.</p>
<p>To open the page from here, restart the server with a token of at least 16 characters:</p>
<pre><code>export ADMIN_TOKEN=$(openssl rand -hex 32)
echo "$ADMIN_TOKEN"    # the password the browser will ask for
npm start</code></pre>
<p>(or put <code>ADMIN_TOKEN=...</code> in <code>.env</code>). Then reload this page: the browser asks for a user name
and a password; any user name, the token as the password.</p>
<p>Webhook senders are not affected: <code>POST /webhook/receive</code> answers every client.</p>
`;
}
