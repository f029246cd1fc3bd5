import { combineReducers, configureStore } from "@reduxjs/toolkit";
import { useDispatch, useSelector } from "react-redux";
import auth from "./auth";
import channels from "./channels";
import guilds from "./guilds";
import members from "./members";
import messages from "./messages";
import notificationSettings from "./notificationSettings";
import outbox from "./outbox";
import readState from "./readState";
import typing from "./typing";
import ui from "./ui";
import voice from "./voice";

export const rootReducer = combineReducers({
  auth,
  guilds,
  channels,
  messages,
  outbox,
  members,
  readState,
  notificationSettings,
  voice,
  typing,
  ui,
});

export function makeStore() {
  return configureStore({ reducer: rootReducer });
}

export type AppStore = ReturnType<typeof makeStore>;
export type RootState = ReturnType<typeof rootReducer>;
export type AppDispatch = AppStore["dispatch"];

export const useAppDispatch = useDispatch.withTypes<AppDispatch>();
export const useAppSelector = useSelector.withTypes<RootState>();
