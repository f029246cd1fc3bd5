import LoginIcon from "@mui/icons-material/Login";
import PersonAddIcon from "@mui/icons-material/PersonAdd";
import SettingsEthernetIcon from "@mui/icons-material/SettingsEthernet";
import {
  Alert,
  Box,
  Button,
  CircularProgress,
  Divider,
  Link,
  Paper,
  Stack,
  Tab,
  Tabs,
  TextField,
  Typography,
} from "@mui/material";
import { motion } from "framer-motion";
import { useEffect, useState, type FormEvent } from "react";
import { ApiError, errorText } from "../api/http";
import { newOidcState } from "../api/oidcReturn";
import type { OidcProvider } from "../api/types";
import { useClient } from "../services/context";
import { useAppSelector } from "../store/index";
import ConnectionDialog from "./ConnectionDialog";

type Mode = "login" | "register";

export default function AuthScreen() {
  const client = useClient();
  const endedBecause = useAppSelector((s) => s.auth.endedBecause);
  const [mode, setMode] = useState<Mode>("login");
  const [login, setLogin] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [providers, setProviders] = useState<OidcProvider[]>([]);
  const [connectionOpen, setConnectionOpen] = useState(false);
  const server = client.config.server;

  useEffect(() => {
    let cancelled = false;
    client.ep
      .oidcProviders()
      .then((list) => !cancelled && setProviders(list))
      .catch(() => !cancelled && setProviders([])); // no providers configured (or no route)
    return () => {
      cancelled = true;
    };
  }, [client]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setFieldErrors({});
    try {
      const auth =
        mode === "login"
          ? await client.ep.login({ login, password })
          : await client.ep.register({ username: login, password, email });
      client.begin(auth);
    } catch (err) {
      setError(errorText(err));
      if (err instanceof ApiError && err.errors) {
        const fields: Record<string, string> = {};
        // The server names body fields as "body.<field>" (request validation) or "<field>".
        for (const [name, value] of Object.entries(err.errors))
          fields[name.replace(/^body\./, "")] = Array.isArray(value)
            ? value.join(", ")
            : String(value);
        setFieldErrors(fields);
      }
      setBusy(false);
    }
  }

  function oidc(provider: OidcProvider) {
    const back = window.location.origin + window.location.pathname;
    window.location.assign(client.ep.oidcStartUrl(provider.id, back, newOidcState()));
  }

  return (
    <Box
      sx={{
        minHeight: "100vh",
        display: "grid",
        placeItems: "center",
        background: "linear-gradient(135deg, #404eed 0%, #1e1f22 100%)",
        p: 2,
      }}
    >
      <motion.div
        initial={{ opacity: 0, y: 24 }}
        animate={{ opacity: 1, y: 0 }}
        transition={{ duration: 0.3 }}
      >
        <Paper elevation={8} sx={{ width: 420, maxWidth: "100%", p: 4 }}>
          <Typography variant="h5" sx={{ fontWeight: 700, textAlign: "center" }}>
            {mode === "login" ? "Welcome back!" : "Create an account"}
          </Typography>
          <Typography color="text.secondary" sx={{ mb: 2, textAlign: "center" }}>
            Parley — talk with your people.
          </Typography>
          <Tabs
            value={mode}
            onChange={(_, value: Mode) => {
              setMode(value);
              setError(null);
              setFieldErrors({});
            }}
            variant="fullWidth"
            sx={{ mb: 2 }}
          >
            <Tab value="login" label="Sign in" />
            <Tab value="register" label="Register" />
          </Tabs>
          {endedBecause && !error && (
            <Alert severity="info" sx={{ mb: 2 }}>
              {endedBecause}
            </Alert>
          )}
          {error && (
            <Alert severity="error" sx={{ mb: 2 }} role="alert">
              {error}
            </Alert>
          )}
          <Box component="form" onSubmit={submit} noValidate>
            <Stack spacing={2}>
              <TextField
                label={mode === "login" ? "Username or email" : "Username"}
                value={login}
                onChange={(e) => setLogin(e.target.value)}
                autoComplete="username"
                autoFocus
                required
                error={Boolean(fieldErrors.login || fieldErrors.username)}
                helperText={fieldErrors.login || fieldErrors.username}
                slotProps={{ htmlInput: { "data-testid": "login-name" } }}
              />
              {mode === "register" && (
                <TextField
                  slotProps={{ htmlInput: { "data-testid": "register-email" } }}
                  label="Email"
                  type="email"
                  value={email}
                  onChange={(e) => setEmail(e.target.value)}
                  autoComplete="email"
                  required
                  error={Boolean(fieldErrors.email)}
                  helperText={fieldErrors.email}
                />
              )}
              <TextField
                label="Password"
                type="password"
                value={password}
                onChange={(e) => setPassword(e.target.value)}
                autoComplete={mode === "login" ? "current-password" : "new-password"}
                required
                error={Boolean(fieldErrors.password)}
                helperText={fieldErrors.password}
                slotProps={{ htmlInput: { "data-testid": "login-password" } }}
              />
              <Button
                type="submit"
                variant="contained"
                size="large"
                disabled={busy || !login || !password || (mode === "register" && !email)}
                startIcon={
                  busy ? (
                    <CircularProgress size={18} />
                  ) : mode === "login" ? (
                    <LoginIcon />
                  ) : (
                    <PersonAddIcon />
                  )
                }
              >
                {mode === "login" ? "Sign in" : "Create account"}
              </Button>
            </Stack>
          </Box>
          {providers.length > 0 && (
            <>
              <Divider sx={{ my: 2 }}>or</Divider>
              <Stack spacing={1}>
                {providers.map((p) => (
                  <Button key={p.id} variant="outlined" onClick={() => oidc(p)}>
                    Sign in with {p.name}
                  </Button>
                ))}
              </Stack>
            </>
          )}
          <Typography variant="body2" color="text.secondary" sx={{ mt: 3, textAlign: "center" }}>
            <SettingsEthernetIcon fontSize="inherit" sx={{ verticalAlign: "middle", mr: 0.5 }} />
            Server: {server}{" "}
            {client.inShell && (
              <Link component="button" type="button" onClick={() => setConnectionOpen(true)}>
                change
              </Link>
            )}
          </Typography>
        </Paper>
      </motion.div>
      {client.inShell && (
        <ConnectionDialog open={connectionOpen} onClose={() => setConnectionOpen(false)} />
      )}
    </Box>
  );
}
