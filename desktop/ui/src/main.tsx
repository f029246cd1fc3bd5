import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { Provider } from "react-redux";
import App from "./App";
import { resolveServerConfig } from "./config";
import { ParleyClient } from "./services/client";
import { ClientContext } from "./services/context";
import { shellConnection } from "./services/shell";
import { makeStore } from "./store/index";
import { noticeShown } from "./store/ui";

async function boot(): Promise<void> {
  const store = makeStore();
  // In a plain browser this answers null at once; in the desktop shell, its chosen server.
  const shell = await shellConnection();
  const { config, refused } = resolveServerConfig(window.location, shell);
  const client = new ParleyClient(store, config, shell !== null);
  if (refused) store.dispatch(noticeShown({ text: refused, severity: "warning" }));

  createRoot(document.getElementById("root")!).render(
    <StrictMode>
      <Provider store={store}>
        <ClientContext.Provider value={client}>
          <App />
        </ClientContext.Provider>
      </Provider>
    </StrictMode>,
  );
}

void boot();
