import { Box, CircularProgress, CssBaseline, Typography } from "@mui/material";
import { ThemeProvider } from "@mui/material/styles";
import { useEffect, useState } from "react";
import type { AuthResponse } from "./api/types";
import AuthScreen from "./components/AuthScreen";
import MainLayout from "./components/MainLayout";
import Notices from "./components/Notices";
import { useClient } from "./services/context";
import { useAppSelector } from "./store/index";
import { theme } from "./theme";

/** Tokens an OIDC callback left in the URL fragment (`#access_token=…&refresh_token=…`). */
function oidcTokensFromFragment(): AuthResponse | null {
  const params = new URLSearchParams(window.location.hash.slice(1));
  const access = params.get("access_token");
  const refresh = params.get("refresh_token");
  if (!access || !refresh) return null;
  window.history.replaceState(null, "", window.location.pathname + window.location.search);
  return {
    user: { id: params.get("user_id") ?? "", username: params.get("username") ?? "" },
    access_token: access,
    refresh_token: refresh,
    token_type: "Bearer",
    expires_in: Number(params.get("expires_in") ?? 900),
  };
}

export default function App() {
  const client = useClient();
  const user = useAppSelector((s) => s.auth.user);
  const [restoring, setRestoring] = useState(true);

  useEffect(() => {
    let cancelled = false;
    (async () => {
      const oidc = oidcTokensFromFragment();
      if (oidc) {
        client.api.setTokens({
          accessToken: oidc.access_token,
          refreshToken: oidc.refresh_token,
          expiresAt: Date.now() + oidc.expires_in * 1000,
        });
        try {
          client.begin({ ...oidc, user: await client.ep.me() });
        } catch (error) {
          client.api.setTokens(null);
          client.notify(error, "Signing in with the provider failed");
        }
      } else if (!client.api.hasSession) await client.restore();
      if (!cancelled) setRestoring(false);
    })();
    return () => {
      cancelled = true;
    };
  }, [client]);

  return (
    <ThemeProvider theme={theme}>
      <CssBaseline />
      {restoring ? (
        <Box
          sx={{ height: "100vh", display: "grid", placeItems: "center" }}
          aria-busy="true"
          data-testid="restoring"
        >
          <Box sx={{ textAlign: "center" }}>
            <CircularProgress />
            <Typography sx={{ mt: 2 }} color="text.secondary">
              Starting Parley…
            </Typography>
          </Box>
        </Box>
      ) : user ? (
        <MainLayout />
      ) : (
        <AuthScreen />
      )}
      <Notices />
    </ThemeProvider>
  );
}
