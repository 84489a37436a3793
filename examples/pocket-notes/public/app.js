// pocket-notes' browser client. The access token lives only in this module's memory; the refresh
// cookie (HttpOnly, Path=/auth) only in the browser's jar.
//
// The protocol: every API call carries the token; a 401 means "refresh, then retry once". The
// refresh is single-flight: all calls that meet a 401 while one refresh is running wait for that
// one, and a call whose token was already replaced retries with the new token without refreshing.
// The server revokes the whole session when one refresh token is presented twice, so two
// refreshes at once sign the user out. PLANTED_BUG=double-refresh on the server turns the
// single-flight off: the bug the Playwright kit's assertions exist to catch.
const SINGLE_FLIGHT = __SINGLE_FLIGHT__;
const TEST_HOOKS = __TEST_HOOKS__;

let accessToken = null;
let refreshing = null;

const $ = (selector) => document.querySelector(selector);

async function refresh() {
  const response = await fetch("/auth/token", { method: "POST", credentials: "same-origin" });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error ?? `refresh answered ${response.status}`);
  accessToken = body.access_token;
}

function refreshOnce() {
  if (!SINGLE_FLIGHT) return refresh();
  refreshing ??= refresh().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

async function api(path) {
  if (!accessToken) await refreshOnce();
  const used = accessToken;
  const call = () => fetch(path, { headers: { authorization: `Bearer ${accessToken}` } });
  let response = await call();
  if (response.status === 401) {
    await response.json().catch(() => null); // read the error, as a client would
    // Someone else already replaced the token: retry with theirs instead of refreshing again.
    if (!SINGLE_FLIGHT || accessToken === used) await refreshOnce();
    response = await call();
  }
  return response;
}

function showSignedOut(reason) {
  accessToken = null;
  $("#signed-in").hidden = true;
  $("#sign-in").hidden = false;
  $('[data-testid="status"]').textContent = reason ? `Signed out: ${reason}` : "Please sign in.";
}

async function showSignedIn() {
  const me = await (await api("/api/me")).json();
  const { notes } = await (await api("/api/notes")).json();
  $('[data-testid="whoami"]').textContent = me.username;
  $('[data-testid="notes"]').replaceChildren(
    ...notes.map((text) => Object.assign(document.createElement("li"), { textContent: text })),
  );
  $("#sign-in").hidden = true;
  $("#signed-in").hidden = false;
  $('[data-testid="status"]').textContent = "Ready.";
}

async function start() {
  try {
    await refreshOnce();
    await showSignedIn();
  } catch {
    showSignedOut("");
  }
}

$("#sign-in").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const response = await fetch("/auth/login", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: form.get("username"), password: form.get("password") }),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) return showSignedOut(body.error_description ?? "sign-in failed");
  accessToken = body.access_token;
  await showSignedIn();
});

$("#load-five").addEventListener("click", async () => {
  $('[data-testid="five-result"]').textContent = "";
  try {
    const responses = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const response = await api("/api/me");
        await response.json();
        return response;
      }),
    );
    $('[data-testid="five-result"]').textContent = responses.map((r) => r.status).join(" ");
  } catch (error) {
    showSignedOut(error.message);
  }
});

$("#sign-out").addEventListener("click", async () => {
  await fetch("/auth/logout", { method: "POST", credentials: "same-origin" });
  showSignedOut("");
});

if (TEST_HOOKS) window.pocketNotes = { accessToken: () => accessToken };

start();
