import { Body, Controller, Delete, Get, Header, HttpCode, Param, Post } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequireScopes, Scope, type Principal } from '@orderops/core';
import { RevealPii } from '../masking/pii.decorator.js';
import { toCustomerResponse } from './customer.mapper.js';
import { CustomersService } from './customers.service.js';
import { RevealCustomerDto, SearchCustomersDto } from './dto/customer-requests.dto.js';
import { CustomerExportResponse, CustomerResponse } from './dto/customer.response.js';

@ApiTags('customers')
@Controller('customers')
export class CustomersController {
  constructor(private readonly customers: CustomersService) {}

  @Get(':id')
  @RequireScopes(Scope.OrdersRead)
  @ApiOperation({ summary: 'A customer, masked' })
  @ApiOkResponse({ type: CustomerResponse })
  async get(@Param('id') id: string): Promise<CustomerResponse> {
    return toCustomerResponse(await this.customers.get(id));
  }

  @Post('search')
  @HttpCode(200)
  @RequireScopes(Scope.OrdersRead)
  @ApiOperation({ summary: 'Find customers by exact email or phone (blind index); masked results' })
  @ApiOkResponse({ type: CustomerResponse, isArray: true })
  async search(@Body() body: SearchCustomersDto): Promise<CustomerResponse[]> {
    return (await this.customers.search(body)).map((record) => toCustomerResponse(record));
  }

  @Post(':id/reveal')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @RequireScopes(Scope.PiiReveal)
  @RevealPii(Scope.PiiReveal)
  @ApiOperation({ summary: 'Reveal a customer’s personal data for a stated purpose (audited)' })
  @ApiOkResponse({ type: CustomerResponse })
  async reveal(
    @Param('id') id: string,
    @Body() body: RevealCustomerDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<CustomerResponse> {
    return toCustomerResponse(await this.customers.reveal(id, body.purpose, principal), { reveal: true });
  }

  @Get(':id/export')
  @Header('Cache-Control', 'no-store')
  @RequireScopes(Scope.PiiExport)
  @RevealPii(Scope.PiiExport)
  @ApiOperation({ summary: 'Everything held about the person, with their orders (GDPR Art. 15)' })
  @ApiOkResponse({ type: CustomerExportResponse })
  async export(
    @Param('id') id: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<CustomerExportResponse> {
    const { record, related } = await this.customers.export(id, principal);
    return Object.assign(new CustomerExportResponse(), {
      customer: toCustomerResponse(record, { reveal: true }),
      related,
      exportedAt: new Date().toISOString(),
    });
  }

  @Delete(':id/pii')
  @HttpCode(204)
  @RequireScopes(Scope.PiiErase)
  @ApiOperation({
    summary: 'Erase the person: destroys the data key and blind indexes; orders keep their figures',
  })
  @ApiNoContentResponse()
  async erase(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<void> {
    await this.customers.erase(id, principal);
  }
}
