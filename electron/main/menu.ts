// The application menu: import a folder, steer the training run, and the usual edit, view and window items.
import { Menu, type MenuItemConstructorOptions } from 'electron';

export interface MenuActions {
  importFolders(): void;
  control(action: 'pause' | 'resume' | 'stop' | 'divide-learning-rate'): void;
  openWorkspaceFolder(): void;
}

export function applicationMenu(actions: MenuActions, development: boolean): Menu {
  const mac = process.platform === 'darwin';
  const template: MenuItemConstructorOptions[] = [
    ...(mac ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        { label: 'Import Folders…', accelerator: 'CmdOrCtrl+O', click: () => actions.importFolders() },
        { label: 'Show Workspace Folder', click: () => actions.openWorkspaceFolder() },
        { type: 'separator' },
        mac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    {
      label: 'Training',
      submenu: [
        { label: 'Pause', accelerator: 'CmdOrCtrl+Shift+P', click: () => actions.control('pause') },
        { label: 'Resume', accelerator: 'CmdOrCtrl+Shift+R', click: () => actions.control('resume') },
        { label: 'Stop (saves a checkpoint)', accelerator: 'CmdOrCtrl+Shift+S', click: () => actions.control('stop') },
        { type: 'separator' },
        { label: 'Divide Learning Rate by 10', accelerator: 'CmdOrCtrl+Shift+D', click: () => actions.control('divide-learning-rate') },
      ],
    },
    {
      label: 'View',
      submenu: [
        { role: 'reload' },
        ...(development ? [{ role: 'toggleDevTools' as const }] : []),
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    { role: 'windowMenu' },
  ];
  return Menu.buildFromTemplate(template);
}
