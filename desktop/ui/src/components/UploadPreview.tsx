import InsertDriveFileIcon from "@mui/icons-material/InsertDriveFile";
import { Box } from "@mui/material";
import { useEffect, useMemo } from "react";

/** A file about to be uploaded: the image itself for images, else a file icon. */
export default function UploadPreview({ file }: { file: File }) {
  const url = useMemo(
    () => (file.type.startsWith("image/") ? URL.createObjectURL(file) : null),
    [file],
  );
  useEffect(() => () => (url ? URL.revokeObjectURL(url) : undefined), [url]);
  if (!url) return <InsertDriveFileIcon fontSize="small" />;
  return (
    <Box
      component="img"
      src={url}
      alt={`Preview of ${file.name}`}
      data-testid="upload-preview"
      sx={{ width: 48, height: 48, objectFit: "cover", borderRadius: 1 }}
    />
  );
}
