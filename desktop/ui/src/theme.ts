import { createTheme } from "@mui/material/styles";

export const theme = createTheme({
  palette: {
    mode: "dark",
    primary: { main: "#5865f2" },
    secondary: { main: "#3ba55d" },
    background: { default: "#313338", paper: "#2b2d31" },
  },
  shape: { borderRadius: 8 },
  typography: { fontFamily: "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif" },
  components: {
    MuiDialogContent: {
      styleOverrides: {
        // MUI drops the top padding of content under a title; an outlined field's label sits
        // above the field's box, so the content's scroll edge cut it in half. Room for it:
        root: { ".MuiDialogTitle-root + &": { paddingTop: 12 } },
      },
    },
  },
});

export const RAIL_BG = "#1e1f22";
export const SIDEBAR_BG = "#2b2d31";
export const PANE_BG = "#313338";
