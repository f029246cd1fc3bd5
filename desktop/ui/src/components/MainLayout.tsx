import { Box } from "@mui/material";

export default function MainLayout() {
  return <Box sx={{ display: "flex", height: "100vh" }} />;
}
