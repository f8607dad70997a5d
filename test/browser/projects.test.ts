import { describe, expect, it } from 'vitest';
import { browserSuite, eventually, pageAs, screenshot } from './browser.js';

describe('the web UI: projects', () => {
  const suite = browserSuite();

  it('starts a project from the organization, adds datasets to it, and shows each member only what they can read', {
    timeout: 120_000,
  }, async () => {
    const { server, browser, errors } = suite;
    const ada = await server.person('Ada Lovelace', 'ada@survey.test');
    const cy = await server.person('Cy Park', 'cy@survey.test');
    const org = (await ada.post('/api/v1/orgs', { name: 'Survey Co' })).body;
    await server.join(ada, org.id, cy);
    const create = async (name: string, description: string) =>
      (await ada.post(`/api/v1/orgs/${org.id}/datasets`, { name, visibility: 'admins', description })).body.id as string;
    const drone = await create('Drone survey', 'Flights over the delta, spring 2026');
    const parcels = await create('Parcels 2025', 'Cadastral parcels, not yet cleared for release');
    await ada.put(`/api/v1/datasets/${drone}/sharing/users/${cy.id}`, { level: 'read' });

    // Ada starts a project on the organization page and lands on it.
    const admin = await pageAs(browser, server, ada, errors);
    await admin.goto(`${server.url}/orgs/${org.id}`);
    const projects = admin.getByRole('region', { name: 'Projects' });
    await projects.getByText('No projects yet.').waitFor();
    await projects.getByLabel('New project').fill('Delta mapping');
    await projects.getByRole('button', { name: 'Create project' }).click();
    await admin.getByRole('heading', { name: 'Delta mapping', exact: true }).waitFor();
    await admin.getByText('No dataset you can read is in this project yet.').waitFor();
    const projectUrl = admin.url();
    const projectId = new URL(projectUrl).pathname.replace('/projects/', '');

    // She adds a dataset from its page; the project is a link there.
    await admin.goto(`${server.url}/datasets/${drone}`);
    const lineage = admin.getByRole('region', { name: 'Projects and lineage' });
    await lineage.getByLabel('Add to project').selectOption({ label: 'Delta mapping' });
    await lineage.getByRole('link', { name: 'Delta mapping' }).click();
    expect((await ada.put(`/api/v1/projects/${projectId}/datasets/${parcels}`)).status).toBe(204);
    await admin.reload();
    const names = () => admin.getByRole('table').getByRole('link').allTextContents();
    await eventually(names, ['Drone survey', 'Parcels 2025']);
    await admin.getByText('2 datasets you can read').waitFor();
    await screenshot(admin, 'project');

    // Cy sees only the dataset shared with him; the other is not even counted.
    const member = await pageAs(browser, server, cy, errors);
    await member.goto(projectUrl);
    await member.getByRole('heading', { name: 'Delta mapping', exact: true }).waitFor();
    await member.getByText('1 dataset you can read').waitFor();
    expect(await member.getByRole('table').getByRole('link').allTextContents()).toEqual(['Drone survey']);
    expect(await member.getByText('Parcels 2025').count()).toBe(0);
    await member.getByRole('link', { name: 'Drone survey' }).click();
    await member.getByRole('heading', { name: 'Drone survey', exact: true }).waitFor();

    // Taking a dataset out of the project.
    await admin
      .getByRole('row', { name: /Parcels 2025/ })
      .getByRole('button', { name: 'Remove Parcels 2025 from the project' })
      .click();
    await admin.getByRole('status').getByText('“Parcels 2025” is no longer in this project.').waitFor();
    await eventually(names, ['Drone survey']);

    // Someone outside the organization cannot tell the project exists.
    const eve = await server.person('Eve Stone', 'eve@elsewhere.test');
    const outsider = await pageAs(browser, server, eve, errors);
    await outsider.goto(projectUrl);
    await outsider.getByRole('heading', { name: 'Project not found' }).waitFor();

    expect(errors).toEqual([]);
  });
});
