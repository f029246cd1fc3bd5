import { Box, CircularProgress, CssBaseline, Typography } from "@mui/material";
import { ThemeProvider } from "@mui/material/styles";
import { useEffect, useState } from "react";
import { oidcReturn, takeOidcState } from "./api/oidcReturn";
import AuthScreen from "./components/AuthScreen";
import { CustomEmojiProvider } from "./components/CustomEmoji";
import MainLayout from "./components/MainLayout";
import Notices from "./components/Notices";
import { useClient } from "./services/context";
import { useAppSelector } from "./store/index";
import { theme } from "./theme";

export default function App() {
  const client = useClient();
  const user = useAppSelector((s) => s.auth.user);
  const [restoring, setRestoring] = useState(true);

  useEffect(() => {
    let cancelled = false;
    (async () => {
      // Only the answer to a sign-in this page started (its state) may sign it in.
      const returned = oidcReturn(window.location.hash, takeOidcState());
      if (returned) {
        // Out of the address bar (and the history) at once: the fragment may hold tokens.
        window.history.replaceState(null, "", window.location.pathname + window.location.search);
      }
      if (returned && "auth" in returned) {
        const oidc = returned.auth;
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
      } else {
        if (returned && "error" in returned)
          client.notify(new Error(returned.error), "Signing in with the provider failed");
        else if (returned)
          client.notify(
            new Error("it was not started from this page, so it was ignored"),
            "A sign-in in the address",
          );
        if (!client.api.hasSession) await client.restore();
      }
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
        <CustomEmojiProvider>
          <MainLayout />
        </CustomEmojiProvider>
      ) : (
        <AuthScreen />
      )}
      <Notices />
    </ThemeProvider>
  );
}
