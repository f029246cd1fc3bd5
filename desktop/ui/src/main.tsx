import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { Provider } from "react-redux";
import App from "./App";
import { loadServerConfig } from "./config";
import { ParleyClient } from "./services/client";
import { ClientContext } from "./services/context";
import { makeStore } from "./store/index";

const store = makeStore();
const client = new ParleyClient(store, loadServerConfig());

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <Provider store={store}>
      <ClientContext.Provider value={client}>
        <App />
      </ClientContext.Provider>
    </Provider>
  </StrictMode>,
);
